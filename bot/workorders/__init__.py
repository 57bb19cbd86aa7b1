"""Work orders (工单): the confirmed remedy carried out by the shop's teams (issue 18).

states.py   the state machine (pure): which move leads where, and what is refused
store.py    the repository over the work_orders / work_order_events tables
service.py  what creating and moving a work order does to the complaint, the follow-up and
            the handoff queue, in one transaction
notify.py   telling the customer about each customer-facing change, once
"""
