"""The weekly meeting (周例会). `briefing` what stands and what moved as known on the meeting day;
`decisions` the 督办事项 (write and list); `summary` the generated prose (`texts` its templates);
`tables` the display tables; `charts`, `pdf`, `excel` the files; `week` the seven days covered."""
