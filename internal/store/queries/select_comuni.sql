SELECT istat, name, ambito FROM comune ORDER BY istat
