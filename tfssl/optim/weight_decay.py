"""Select variables for weight decay by regexes on their full Keras 3 path."""

import re

# Biases and BN beta/gamma, matched on paths such as "resnet18/stem_bn/gamma".
DEFAULT_WEIGHT_DECAY_EXCLUSIONS = (r"(^|/)bias$", r"(^|/)gamma$", r"(^|/)beta$")


def variable_path(variable):
    """The variable's full path ("block/dense/bias"); plain tf.Variables fall back to `.name`."""
    return getattr(variable, "path", variable.name)


def matches_any(variable, patterns):
    """Whether any regex in `patterns` is found (`re.search`) in the variable's path."""
    path = variable_path(variable)
    return any(re.search(pattern, path) for pattern in patterns)


def apply_weight_decay_exclusions(optimizer, variables, patterns=DEFAULT_WEIGHT_DECAY_EXCLUSIONS):
    """Exclude the `variables` whose path matches `patterns` from a Keras optimizer's weight decay.

    Keras' own `exclude_from_weight_decay(var_names=...)` only sees the short `.name` ("kernel"),
    so this passes the matching variables explicitly. It replaces any earlier exclusion list and
    must run before the optimizer is built.
    """
    optimizer.exclude_from_weight_decay(
        var_list=[variable for variable in variables if matches_any(variable, patterns)]
    )
