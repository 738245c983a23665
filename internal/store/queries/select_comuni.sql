SELECT istat, name, ambito, coalesce(pec, '') FROM comune ORDER BY istat
