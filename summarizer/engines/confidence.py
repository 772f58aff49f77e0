"""An output's confidence (Generation.confidence): the mean log-probability of the tokens the
model generated, from what each engine's search computes anyway.

Both engines score a token by the distribution the search chose it from: the model's logits
after the decoding constraints in force (tokens a model never generates, such as Marian's
<pad>; a minimum length; n-gram blocking; a repetition penalty), log-softmaxed. Without an
active constraint that is the model's own log-probability. It is also all ctranslate2 reports,
and its Marian conversion has no <pad> token at all, so the torch engine scores the same way.

Counted: every generated token up to and including the end of sentence. Not counted: forced
tokens, which the model did not choose (the decoder start, a forced BOS such as BART's <s>,
and the end of sentence transformers forces at the length limit, which ctranslate2 never
generates: its outputs stop one token earlier there, see ctranslate2_options).
"""

from __future__ import annotations

from typing import Any


def transformers_confidences(
    output: Any, eos_token_id: int | list[int] | None
) -> list[float | None]:
    """Each output row's confidence, from generate(output_scores=True,
    return_dict_in_generate=True).

    `output.scores` holds, per step and searched row, the scores the search chose from:
    processed logits for greedy search, processed log-probabilities for beam search
    (log-softmax, then the processors); a log-softmax over either is the distribution above.
    A step whose scores allow a single token forced it. Beam search marks the steps after a
    row's end with beam index -1; greedy search pads them after the end of sentence.

    The steps are read one at a time, where they are: compute_transition_scores would stack
    (and normalise) copies of every step's scores first."""
    import torch

    sequences, beam_indices = output.sequences, getattr(output, "beam_indices", None)
    steps = len(output.scores)
    if beam_indices is not None:
        # Beam outputs are as long as their longest row; the search may have run longer.
        steps = int((beam_indices >= 0).sum(-1).max())
        beam_indices = beam_indices[:, :steps]
    tokens = sequences[:, sequences.shape[1] - steps :]
    chosen, normalizers, choices = [], [], []
    for step in range(steps):
        scores = output.scores[step]
        if beam_indices is not None:
            scores = scores[beam_indices[:, step].clamp(min=0)]
        chosen.append(scores.gather(1, tokens[:, step, None]).squeeze(1))
        normalizers.append(scores.logsumexp(-1))
        choices.append(torch.isfinite(scores).sum(-1))
    log_probs = (torch.stack(chosen, 1) - torch.stack(normalizers, 1)).double()
    counted = torch.stack(choices, 1) > 1
    if beam_indices is not None:
        counted &= beam_indices >= 0
    if eos_token_id is not None:
        ended = torch.isin(tokens, torch.tensor(eos_token_id, device=tokens.device)).long()
        counted &= ended.cumsum(1) - ended == 0  # nothing after the first end of sentence
    totals = torch.where(counted, log_probs, 0.0).sum(1).tolist()
    counts = counted.sum(1).tolist()
    return [total / count if count else None for total, count in zip(totals, counts, strict=True)]


def ctranslate2_confidence(
    score: float, length: int, prefix_length: int, length_penalty: float
) -> float | None:
    """The confidence of one ctranslate2 hypothesis from translate_batch(return_scores=True,
    return_end_token=True): `length` tokens, its target prefix and end of sentence included.

    ctranslate2 4.8 (src/decoding.cc) sums the log-probabilities of the tokens it chose, the
    end of sentence included and the prefix tokens (forced) as 0, then divides the sum by
    length ** length_penalty, where length counts the prefix and the end of sentence, in
    greedy and beam search alike; return_end_token keeps the end of sentence in the tokens
    returned, so that their number is that length."""
    generated = length - prefix_length
    if generated < 1:  # an empty source: ctranslate2 returns the prefix, scored 0
        return None
    return score * length**length_penalty / generated
