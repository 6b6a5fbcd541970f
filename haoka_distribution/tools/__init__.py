from . import grade, idcard, params, pgcopy, secrets, sim, texts
