SELECT school_year, to_char(first_day, 'YYYY-MM-DD'), to_char(last_day, 'YYYY-MM-DD'), name, coalesce(rite, ''), source
FROM school_closure ORDER BY first_day, rite NULLS FIRST
