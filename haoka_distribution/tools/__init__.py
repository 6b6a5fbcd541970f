from . import grade, groups, idcard, params, pgcopy, secrets, sim, texts
