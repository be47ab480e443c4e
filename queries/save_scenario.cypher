// name: save_scenario
// purpose: save (or replace) a named scenario's options and result summary
// params: $id, $name, $options, $summary, $saved
// returns: id
MERGE (s:Scenario {id: $id})
SET s.name = $name, s.options = $options, s.summary = $summary, s.saved = $saved
RETURN s.id AS id
