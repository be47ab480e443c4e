// name: workshop_state
// purpose: what followers poll: the workshop's revision and current step
// params: $id
// returns: revision, current
MATCH (w:Workshop {id: $id})
RETURN coalesce(w.revision, 0) AS revision, coalesce(w.current, 0) AS current
