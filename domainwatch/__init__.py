"""domainwatch: domain and DNS hygiene monitor for government domains under gov.cn."""

__version__ = "0.1.0"
