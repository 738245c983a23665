SELECT code, name, levels, comune, coalesce(municipio, 0)::int, email, pec FROM school ORDER BY code
