SELECT istat, name, ambito, coalesce(pec, ''), coalesce(cadastral, '') FROM comune ORDER BY istat
