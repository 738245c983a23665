INSERT INTO comune (istat, name, ambito, pec, cadastral, patron, patron_source, rite)
VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), NULLIF($8, ''))
