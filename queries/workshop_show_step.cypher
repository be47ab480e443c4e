// name: workshop_show_step
// purpose: move a workshop to a step and append it to the record of views shown
// params: $id, $current, $entry
// returns: revision, current
MATCH (w:Workshop {id: $id})
SET w.current = $current, w.shown = coalesce(w.shown, []) + [$entry]
RETURN w.revision AS revision, w.current AS current
