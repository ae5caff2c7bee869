"""What a workspace may do: the plans and add-ons, the decision (standing, limits, features),
and its checks where the domain creates things."""
