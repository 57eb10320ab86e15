"""Word lists for people and places: first and last names, street names, e-mail
domains and company words per country. Small on purpose: enough variety that
names repeat about as often as in a real customer base of a few hundred thousand.
"""

from __future__ import annotations

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "NL": (
        "Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Bram", "Thijs", "Jesse", "Ruben",
        "Tim", "Lars", "Stijn", "Niels", "Jeroen", "Bas", "Sander", "Mark", "Dennis", "Kevin",
        "Pieter", "Jan", "Henk", "Kees", "Wim", "Gerrit", "Martijn", "Joost", "Erik", "Rik",
        "Emma", "Julia", "Sophie", "Anna", "Lotte", "Fleur", "Sanne", "Lisa", "Anouk", "Eva",
        "Iris", "Femke", "Marloes", "Linda", "Ingrid", "Petra", "Annemieke", "Esther", "Noor",
        "Mohamed", "Youssef", "Fatima", "Ayoub", "Priya",
    ),
    "BE": (
        "Arthur", "Louis", "Lucas", "Noah", "Jules", "Victor", "Adam", "Liam", "Wout", "Pieter",
        "Jan", "Koen", "Bart", "Tom", "Stijn", "Dirk", "Luc", "Marc", "Philippe", "Olivier",
        "Thomas", "Nicolas", "Maxime", "Kevin", "Jonas", "Seppe", "Ruben", "Geert", "Wim",
        "Emma", "Olivia", "Louise", "Mila", "Elise", "Marie", "Julie", "Lore", "Charlotte",
        "Sofie", "An", "Els", "Katrien", "Nathalie", "Isabelle", "Camille", "Manon", "Laura",
        "Hanne", "Lien", "Amélie", "Yasmine", "Mehdi",
    ),
    "DE": (
        "Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Elias", "Ben", "Noah",
        "Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Tobias", "Daniel",
        "Sebastian", "Jürgen", "Uwe", "Klaus", "Frank", "Jörg", "Matthias", "Sven", "Dirk",
        "Emma", "Mia", "Hannah", "Sophia", "Lena", "Lea", "Anna", "Laura", "Julia", "Sarah",
        "Katharina", "Sabine", "Petra", "Monika", "Claudia", "Susanne", "Nicole", "Jana",
        "Melanie", "Sandra", "Marie", "Emre", "Mehmet", "Ayşe", "Kateryna", "Piotr",
    ),
    "FR": (
        "Gabriel", "Léo", "Raphaël", "Louis", "Lucas", "Hugo", "Arthur", "Jules", "Adam",
        "Nathan", "Thomas", "Nicolas", "Julien", "Maxime", "Alexandre", "Antoine", "Pierre",
        "Sébastien", "Christophe", "Laurent", "Philippe", "Olivier", "Stéphane", "Frédéric",
        "Jean", "Michel", "Patrick", "Emma", "Jade", "Louise", "Alice", "Chloé", "Léa", "Manon",
        "Camille", "Inès", "Sarah", "Julie", "Marie", "Nathalie", "Isabelle", "Sandrine",
        "Céline", "Aurélie", "Sophie", "Élodie", "Valérie", "Karim", "Mohamed", "Yanis", "Amina",
    ),
    "AT": (
        "Lukas", "Tobias", "David", "Florian", "Jakob", "Maximilian", "Stefan", "Andreas",
        "Wolfgang", "Gerhard", "Anna", "Lena", "Sophie", "Katharina", "Sarah", "Julia",
        "Christina", "Elisabeth", "Barbara", "Sabine",
    ),
    "LU": (
        "Luc", "Marc", "Tom", "Ben", "Gilles", "Paul", "Claude", "Jean", "Max", "Noah",
        "Anne", "Sophie", "Lara", "Emma", "Claire", "Laura", "Mia", "Sandra", "Carole", "Nadine",
    ),
    "ES": (
        "Alejandro", "Pablo", "Javier", "David", "Daniel", "Carlos", "Sergio", "Jorge", "Miguel",
        "Antonio", "María", "Lucía", "Laura", "Marta", "Paula", "Ana", "Carmen", "Elena",
        "Sara", "Cristina",
    ),
    "IT": (
        "Marco", "Luca", "Andrea", "Francesco", "Alessandro", "Matteo", "Giuseppe", "Davide",
        "Simone", "Lorenzo", "Giulia", "Francesca", "Sara", "Chiara", "Martina", "Valentina",
        "Elena", "Alessia", "Federica", "Silvia",
    ),
    "PL": (
        "Jakub", "Kacper", "Piotr", "Tomasz", "Paweł", "Michał", "Krzysztof", "Marcin",
        "Łukasz", "Adam", "Anna", "Katarzyna", "Magdalena", "Agnieszka", "Monika", "Joanna",
        "Aleksandra", "Ewa", "Zofia", "Natalia",
    ),
    "DK": (
        "William", "Noah", "Oscar", "Lucas", "Mads", "Rasmus", "Søren", "Anders", "Jens",
        "Mikkel", "Emma", "Ida", "Clara", "Freja", "Anne", "Mette", "Camilla", "Line", "Sofie",
        "Maja",
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "NL": (
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
        "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
        "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
        "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
        "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin",
        "van der Heijden",
        "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven", "Hoekstra", "Maas",
        "Verhoeven", "Koster", "van Dam", "Prins", "Blom", "Huisman", "Peeters", "El Amrani",
        "Yilmaz", "Bouzid", "Kramer", "Postma", "Boersma", "Wolters", "Veenstra",
    ),
    "BE": (
        "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
        "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Martens", "Leroy", "Hermans",
        "Michiels", "Desmet", "Van Damme", "Vermeulen", "De Clercq", "Lemmens", "Verstraete",
        "Stevens", "Claessens", "Pauwels", "Declercq", "Cools", "Aerts", "Hendrickx", "Smets",
        "Van de Velde", "Devos", "Simon", "Laurent", "Renard", "Martin", "Lejeune", "Dumont",
        "Mathieu", "Denis", "Collard", "Vandenberghe", "Baert", "De Backer", "Verhaegen",
        "Van Acker", "El Idrissi", "Benali", "Coppens",
    ),
    "DE": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
        "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann",
        "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
        "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn",
        "Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger", "Yıldız", "Kaya",
        "Nowak", "Kowalski",
    ),
    "FR": (
        "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
        "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand",
        "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
        "Vincent", "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin",
        "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin",
        "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier",
        "Masson", "Marchand", "Duval", "Denis", "Dumont", "Benali", "Haddad", "Da Silva",
        "Nguyen",
    ),
    "AT": (
        "Gruber", "Huber", "Bauer", "Wagner", "Müller", "Pichler", "Steiner", "Moser", "Mayer",
        "Hofer", "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Winkler", "Weber",
        "Schwarz", "Maier",
    ),
    "LU": (
        "Schmit", "Muller", "Weber", "Wagner", "Hoffmann", "Thill", "Schmitz", "Schroeder",
        "Reuter", "Klein", "Kremer", "Welter", "Faber", "Majerus", "Meyer", "Schiltz", "Ries",
        "Hansen", "Da Silva", "Ferreira",
    ),
    "ES": (
        "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
        "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
        "Romero", "Alonso", "Navarro",
    ),
    "IT": (
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
        "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
        "Rizzo", "Lombardi", "Moretti",
    ),
    "PL": (
        "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
        "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski",
    ),
    "DK": (
        "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
        "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
        "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen",
    ),
}

STREETS: dict[str, tuple[str, ...]] = {
    "NL": (
        "Kerkstraat", "Dorpsstraat", "Schoolstraat", "Molenstraat", "Stationsweg", "Hoofdstraat",
        "Julianastraat", "Wilhelminastraat", "Beatrixstraat", "Nieuwstraat", "Markt", "Molenweg",
        "Kastanjelaan", "Eikenlaan", "Lindenlaan", "Parkweg", "Industrieweg", "Noordweg",
        "Zuiderweg", "Oranjestraat", "Prinses Irenestraat", "Sportlaan", "Veldweg", "Haven",
        "Burgemeester de Withstraat", "Van Goghstraat", "Rembrandtlaan", "Vondelstraat",
        "Spoorstraat", "Kanaalweg", "Tulpstraat", "Rozenstraat",
    ),
    "BE": (
        "Kerkstraat", "Stationsstraat", "Dorpsstraat", "Molenstraat", "Nieuwstraat",
        "Schoolstraat", "Kapelstraat", "Steenweg", "Brugstraat", "Lindenlaan", "Veldstraat",
        "Rue de la Station", "Rue de l'Église", "Rue du Moulin", "Chaussée de Bruxelles",
        "Rue Haute", "Grand-Route", "Rue des Écoles", "Avenue des Tilleuls", "Rue de la Gare",
        "Rue du Centre", "Place Communale", "Rue Saint-Roch", "Koning Albertlaan",
    ),
    "DE": (
        "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
        "Bergstraße", "Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße",
        "Schillerstraße", "Goethestraße", "Jahnstraße", "Wiesenweg", "Am Markt", "Mühlenweg",
        "Feldstraße", "Friedhofstraße", "Blumenstraße", "Mozartstraße", "Eichenweg",
        "Industriestraße", "Lessingstraße", "Beethovenstraße", "Rosenstraße", "Am Sportplatz",
        "Parkstraße", "Uhlandstraße", "Brunnenstraße",
    ),
    "FR": (
        "Rue de la République", "Rue Victor Hugo", "Rue Jean Jaurès", "Rue de la Gare",
        "Rue Pasteur", "Avenue Jean Jaurès", "Rue du Général de Gaulle", "Place de la Mairie",
        "Rue de l'Église", "Grande Rue", "Rue des Écoles", "Rue du Moulin", "Rue Gambetta",
        "Rue Nationale", "Avenue de la Libération", "Rue Jules Ferry", "Boulevard Voltaire",
        "Rue de Paris", "Chemin des Vignes", "Allée des Tilleuls", "Impasse des Lilas",
        "Rue du Stade", "Rue des Jardins", "Route de Lyon", "Rue Émile Zola",
        "Avenue du Maréchal Foch", "Rue de la Paix", "Rue Carnot",
    ),
    "AT": (
        "Hauptstraße", "Bahnhofstraße", "Kirchengasse", "Schulgasse", "Dorfstraße",
        "Wiener Straße", "Linzer Straße", "Feldgasse", "Berggasse", "Mühlweg",
    ),
    "LU": (
        "Rue Principale", "Rue de l'Église", "Route d'Arlon", "Rue de la Gare", "Rue du Moulin",
        "Grand-Rue", "Rue des Champs", "Rue de Luxembourg", "Rue du Parc", "Rue de Mondorf",
    ),
    "ES": (
        "Calle Mayor", "Calle Real", "Avenida de la Constitución", "Calle de la Iglesia",
        "Calle del Sol", "Plaza de España", "Calle Nueva", "Avenida de Andalucía",
        "Calle San José", "Calle Cervantes",
    ),
    "IT": (
        "Via Roma", "Via Garibaldi", "Via Marconi", "Via Mazzini", "Via Dante",
        "Corso Italia", "Via Verdi", "Piazza della Repubblica", "Via Cavour", "Via Matteotti",
    ),
    "PL": (
        "ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka", "ul. Szkolna", "ul. Ogrodowa",
        "ul. Lipowa", "ul. Brzozowa", "ul. Kościuszki", "ul. Mickiewicza",
    ),
    "DK": (
        "Hovedgaden", "Vestergade", "Østergade", "Nørregade", "Søndergade", "Skolevej",
        "Kirkevej", "Stationsvej", "Møllevej", "Engvej",
    ),
}

# Free-mail domains by customer country, most common first (weights follow).
EMAIL_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "NL": (("gmail.com", 38), ("hotmail.com", 14), ("outlook.com", 8), ("live.nl", 6),
           ("hotmail.nl", 6), ("ziggo.nl", 6), ("kpnmail.nl", 5), ("icloud.com", 6),
           ("planet.nl", 3), ("home.nl", 2), ("xs4all.nl", 2), ("yahoo.com", 2), ("upcmail.nl", 2)),
    "BE": (("gmail.com", 40), ("hotmail.com", 12), ("telenet.be", 14), ("skynet.be", 8),
           ("outlook.com", 6), ("hotmail.be", 5), ("live.be", 4), ("icloud.com", 5),
           ("proximus.be", 3), ("yahoo.fr", 3)),
    "DE": (("gmail.com", 26), ("web.de", 20), ("gmx.de", 18), ("t-online.de", 10),
           ("gmx.net", 6), ("outlook.de", 4), ("hotmail.de", 4), ("yahoo.de", 3),
           ("icloud.com", 5), ("freenet.de", 2), ("posteo.de", 2)),
    "FR": (("gmail.com", 38), ("orange.fr", 14), ("hotmail.fr", 10), ("free.fr", 8),
           ("laposte.net", 6), ("sfr.fr", 6), ("wanadoo.fr", 4), ("yahoo.fr", 5),
           ("outlook.fr", 4), ("icloud.com", 5)),
    "*": (("gmail.com", 50), ("outlook.com", 15), ("hotmail.com", 10), ("yahoo.com", 10),
          ("icloud.com", 8), ("gmx.net", 7)),
}

# Words for own-domain e-mail (family or small-business domains) and for workshops.
BUSINESS_WORDS: dict[str, tuple[str, ...]] = {
    "NL": ("autobedrijf", "garage", "autoservice", "transport", "installatietechniek", "bouw"),
    "BE": ("garage", "autocenter", "carrosserie", "transport", "bouwbedrijf", "service"),
    "DE": ("autohaus", "kfz", "autoservice", "werkstatt", "transporte", "bau"),
    "FR": ("garage", "auto", "carrosserie", "transports", "mecanique", "services"),
}

WORKSHOP_NAMES: dict[str, tuple[str, ...]] = {
    "NL": ("Autobedrijf {last}", "Garage {last}", "{last} Autoservice", "Autoschade {last}"),
    "BE": ("Garage {last}", "Autocenter {last}", "Carrosserie {last}", "{last} Autoservice"),
    "DE": ("Autohaus {last}", "Kfz-Werkstatt {last}", "{last} Autoservice GmbH",
           "Kfz-Meisterbetrieb {last}"),
    "FR": ("Garage {last}", "Garage du Centre {last}", "Carrosserie {last}", "{last} Automobiles"),
}

# Parcel shops by country; the names carry the keywords the address signal knows.
PICKUP_POINTS: dict[str, tuple[str, ...]] = {
    "NL": ("PostNL punt Primera", "PostNL punt Albert Heijn", "DHL ServicePoint Bruna",
           "DHL ServicePoint Jumbo", "PostNL Pakketautomaat"),
    "BE": ("Bpost point Carrefour Express", "Bpack 24/7", "PostNL punt Delhaize",
           "DHL ServicePoint Standaard Boekhandel", "Mondial Relay Pakjespunt"),
    "DE": ("DHL Packstation", "Hermes Paketshop", "DPD Pickup Parcelshop", "GLS PaketShop",
           "DHL Paketshop Kiosk"),
    "FR": ("Mondial Relay Point Relais", "Relais Colis Tabac-Presse", "Chronopost Pickup",
           "La Poste Relais", "InPost Consigne Pickup"),
}
