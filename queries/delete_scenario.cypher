// name: delete_scenario
// purpose: delete a saved scenario
// params: $id
// returns: (nothing)
MATCH (s:Scenario {id: $id})
DETACH DELETE s
