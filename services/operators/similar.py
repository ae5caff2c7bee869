"""PURE: likely same-company pairs by name similarity, for a person to review. Never a
merge: two keys that differ stay two operators until someone links or merges them."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from services.operators.names import name_key

# Names whose keys score this high (0-100, token-set ratio) are worth a look.
DEFAULT_MIN_SCORE = 88.0


def suggest_pairs(operators: list[tuple[object, str]], *, min_score: float = DEFAULT_MIN_SCORE,
                  limit: int = 100) -> list[tuple[object, object, float]]:
    """(id a, id b, score) for pairs of operators whose normalised names are alike, best first.
    Identical keys score 100 (a spelling the normaliser already folds, kept apart by P-5)."""
    keys = [name_key(n) for _, n in operators]
    scores = process.cdist(keys, keys, scorer=fuzz.token_set_ratio, score_cutoff=min_score, workers=1)
    pairs = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            s = float(scores[i][j])
            # a one-word key inside a longer one ("APACHE" in "APACHE CORP OF TEXAS") scores 100
            # on token sets; require the shorter to carry most of the longer's words
            if s >= min_score and min(len(keys[i]), len(keys[j])) >= 0.6 * max(len(keys[i]), len(keys[j])):
                pairs.append((operators[i][0], operators[j][0], round(s, 1)))
    pairs.sort(key=lambda p: -p[2])
    return pairs[:limit]
