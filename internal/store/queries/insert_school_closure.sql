INSERT INTO school_closure (school_year, first_day, last_day, name, rite, source)
VALUES ($1, $2::date, $3::date, $4, NULLIF($5, ''), $6)
