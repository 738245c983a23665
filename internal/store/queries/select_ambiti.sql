SELECT code, name, cti_name, cti_host_school FROM ambito ORDER BY code
