from . import grade, idcard, pgcopy, secrets, sim
