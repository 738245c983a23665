INSERT INTO school (code, name, levels, comune, municipio, email, pec) VALUES ($1, $2, $3, $4, $5, $6, $7)
