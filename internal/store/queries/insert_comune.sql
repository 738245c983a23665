INSERT INTO comune (istat, name, ambito) VALUES ($1, $2, $3)
