"""Proofs that every lab's autograder accepts right answers and rejects wrong ones."""
