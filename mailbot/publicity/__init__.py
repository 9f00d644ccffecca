"""Publicity requests (附件2 宣传报道申报单) with their sign-off chain, and interview-assistance notices
(附件3 协助宣传报道通知单), each over store/.

- ``form``: reading a filled 附件2 from the body, a .docx or an .xlsx (pure);
- ``answer``: what an approver's reply says and whether it may count (pure);
- ``approvers``: who signs for a department (``[publicity]`` and the registry);
- ``chain``: the state machine head → leader → office, with its audit trail;
- ``mails``: the mails of the chain (with the filled form as .docx, made by ``word``);
- ``intake``: the hook the pipeline calls for a stored mail;
- ``notices``: the office's 附件3 notices, the unit's confirmation and feedback.
"""
