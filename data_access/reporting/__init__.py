"""County reporting: templates, uploads, review, history. No streamlit here.

One module per thing it owns:
- kinds/      one ReportKind object per kind of report (progress, facilities, union_orgs,
              membership) and their registry KINDS; a new kind is one module there and one line
- files       reading an uploaded .xlsx/.csv into rows of raw cells (size and row caps)
- cells       a column's description and parsing one cell
- checks      which kind a header is, which column is which, and every row's checks
- context     what the checks know of the database and the moment; the reporting week
- preview     what a file would change; commit: storing it in one transaction
- review      approve / return / withdraw (an approved batch: a request a second person approves),
              who may (may_review, may_withdraw), the review tab's rows
- history     every version of a figure, and who reported when
- batches     the import batches table; pending: registry changes waiting for review
- templates   the Excel templates; issues: the problems a file is refused with; geo: unit areas
Which version of a figure counts is not decided here but in data_access.kpis.versions.
"""
