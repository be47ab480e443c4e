// name: ping
// purpose: one row, to check that the store answers and the database opens
// params: (none)
// returns: ok
RETURN 1 AS ok
