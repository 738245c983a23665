INSERT INTO comune (istat, name, ambito, pec, cadastral) VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''))
