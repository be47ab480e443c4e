// name: list_scenarios
// purpose: saved scenarios, newest first
// params: (none)
// returns: id, name, options, summary, saved
MATCH (s:Scenario)
RETURN s.id AS id, s.name AS name, s.options AS options, s.summary AS summary, s.saved AS saved
ORDER BY saved DESC, id
