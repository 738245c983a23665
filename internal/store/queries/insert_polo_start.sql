INSERT INTO polo_start (code, name, host_school, municipi) VALUES ($1, $2, $3, $4)
