"""Administrative changes to the plan (管理员 only). `edits` targets and milestones; `allocations`
the unit × target matrix; `years` a new plan year copied from an old one; `values` how edited cells
are compared and checked."""
