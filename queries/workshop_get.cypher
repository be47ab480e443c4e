// name: workshop_get
// purpose: one workshop's properties (steps as JSON text, token hashes included for checking links)
// params: $id
// returns: workshop
MATCH (w:Workshop {id: $id})
RETURN properties(w) AS workshop
