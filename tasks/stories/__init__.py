"""stories: nominated from insights and survey answers, voted on by members, published only with consent."""
