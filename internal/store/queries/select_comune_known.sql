-- Whether any reference data was imported, and whether istat is one of its comuni.
SELECT EXISTS (SELECT 1 FROM refdata_import), EXISTS (SELECT 1 FROM comune WHERE istat = @istat)
