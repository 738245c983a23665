INSERT INTO ambito (code, name, cti_name, cti_host_school) VALUES ($1, $2, $3, $4)
