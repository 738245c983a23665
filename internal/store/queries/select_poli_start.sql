SELECT code, name, host_school, municipi::int[] FROM polo_start ORDER BY code
