"""The office's periodic products over store/: the quarterly adoption notice (信息采用情况通报), the annual
awards ranking (先进集体, 优秀信息联络员) and the bulletin (《质监信息》) — data, then .docx/.xlsx/.html."""
