"""`sluicegate plan`: how many PTUs to buy, what each choice costs, and what spills to PAYG.

Inputs are a traffic profile (`profile`) or a usage log exported from the ledger (`usage_log`),
both turned into a `Demand` (requests in time). `replay` runs the demand minute by minute
through the simulator's PTU and PAYG admission rules; `plan` does the arithmetic and the
recommendation; `render` prints it, plots it and writes the HTML report.
"""
