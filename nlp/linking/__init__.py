"""Customer linking: which customer of the master file wrote a mention.

`directory.CustomerDirectory` is the lookup protocol (index/ implements it over the customer index,
`memory.InMemoryCustomerDirectory` in memory); `linker.CustomerLinker` turns lookups into a link.
"""

from nlp.linking.directory import CustomerDirectory
from nlp.linking.linker import CustomerLinker, DeterministicLinker
from nlp.linking.memory import InMemoryCustomerDirectory

__all__ = ["CustomerDirectory", "CustomerLinker", "DeterministicLinker", "InMemoryCustomerDirectory"]
