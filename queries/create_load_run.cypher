// name: create_load_run
// purpose: record a load run
// params: $run
// returns: (nothing)
CREATE (l:LoadRun)
SET l = $run
