SELECT istat, name, ambito, coalesce(pec, ''), coalesce(cadastral, ''),
       coalesce(patron, ''), coalesce(patron_source, ''), coalesce(rite, '')
FROM comune ORDER BY istat
