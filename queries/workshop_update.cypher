// name: workshop_update
// purpose: change a workshop's settings (steps, current step, tokens); $props holds only the keys that change
// params: $id, $props
// returns: revision
MATCH (w:Workshop {id: $id})
SET w += $props
RETURN w.revision AS revision
