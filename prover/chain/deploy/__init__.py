"""Deploying a zkcredits service: verifiers, libraries, vault, ERC-8004 agent."""
