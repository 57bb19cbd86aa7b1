"""The knowledge base: what the business promises, loaded from knowledge_base/ and validated."""

from bot.knowledge.loader import KnowledgeBase, KnowledgeBaseError, load_knowledge_base

__all__ = ["KnowledgeBase", "KnowledgeBaseError", "load_knowledge_base"]
