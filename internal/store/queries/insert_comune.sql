INSERT INTO comune (istat, name, ambito, pec) VALUES ($1, $2, $3, NULLIF($4, ''))
