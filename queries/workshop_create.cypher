// name: workshop_create
// purpose: create a workshop (its id is unique; token hashes only, never tokens)
// params: $props
// returns: id
CREATE (w:Workshop)
SET w = $props
RETURN w.id AS id
