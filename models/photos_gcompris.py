"""Training photos from GCompris (Debian gcompris-qt-data), which packs them in Qt resource bundles (models/rcc.py).

Four of its activities show photographs, each credited file by file in the bundle's README (author, Wikimedia
Commons source, licence): 33 wildlife close-ups at 1920x1080 (`erase`), 45 monuments and buildings
(`explore_monuments`: stone, brick, windows, ironwork — the fine man-made structure the other sources lack and the
detector confuses with damage), 15 wild and 9 farm animals. Left out: aulaPalatina.webp (no licence in the README)
and two old prints (castleClinton, a grey 1950s photo, and georgeWashingtonBirthplace, a faded slide), which may
carry real dust and scratches that would be taught as clean. The files are WebP, re-compressed and sharpened by
GCompris, so they are reduced (MAX_SIDE below) until that no longer shows.

Each row: (file below the activity's resource folder, licence, author as the README credits it).
"""

from __future__ import annotations

PACKAGE = "gcompris-qt-data"
RCC_DIR = "./usr/share/gcompris-qt/rcc"
MAX_SIDE = {"erase": 640, "explore_monuments": 512, "explore_world_animals": 512, "explore_farm_animals": 512}
RESOURCE = {"erase": "gcompris/src/activities/erase/resource",  # the folder inside each bundle
            "explore_monuments": "gcompris/src/activities/explore_monuments/resource",
            "explore_world_animals": "gcompris/src/activities/explore_world_animals/resource/animals",
            "explore_farm_animals": "gcompris/src/activities/explore_farm_animals/resource/animals"}

ERASE = (
    ('alpaca.webp', 'CC-BY-SA-4.0', 'Dietmar Rabich'),
    ('bee.webp', 'CC-BY-2.0', 'aussiegall'),
    ('butterfly.webp', 'CC-BY-SA-4.0', 'Jee & Rani Nature Photography'),
    ('calf.webp', 'CC-BY-SA-4.0', 'Basile Morin'),
    ('camels.webp', 'CC-BY-SA-4.0', 'Alexandr frolov'),
    ('caterpillar.webp', 'CC-BY-SA-4.0', 'Ivar Leidus'),
    ('chamaeleon.webp', 'CC-BY-3.0', 'Benny Trapp'),
    ('cheetah.webp', 'CC-BY-SA-4.0', 'Charles J. Sharp'),
    ('crab.webp', 'CC0-1.0', 'Nosferattus'),
    ('dolphin.webp', 'CC-BY-SA-4.0', 'טל שמע'),
    ('flying_fox.webp', 'CC-BY-SA-4.0', 'Andrew Mercer'),
    ('gibbon.webp', 'CC-BY-3.0', 'JJ Harrison'),
    ('giraffe.webp', 'public domain', 'Sergio Cambelo'),
    ('goat.webp', 'CC-BY-SA-4.0', 'JoachimKohlerBremen'),
    ('gorilla.webp', 'CC-BY-SA-4.0', 'Charles J. Sharp'),
    ('gosling.webp', 'CC-BY-SA-4.0', 'Stephan Sprinz'),
    ('heron.webp', 'CC-BY-SA-4.0', 'Stephan Sprinz'),
    ('horse.webp', 'CC-BY-SA-4.0', 'Eatcha'),
    ('kingfisher.webp', 'CC0-1.0', 'Frank-2.0'),
    ('kitten.webp', 'CC-BY-2.0', 'GalgenTX'),
    ('long_nosed_monkey.webp', 'CC-BY-SA-4.0', 'Charles J. Sharp'),
    ('macaque.webp', 'CC-BY-SA-4.0', 'PJeganathan'),
    ('meerkats.webp', 'CC-BY-SA-4.0', 'Charles J. Sharp'),
    ('northern_harrier.webp', 'CC-BY-SA-4.0', 'Frank Schulenburg'),
    ('nubian_ibex.webp', 'CC-BY-SA-4.0', 'Rhododendrites'),
    ('penguin.webp', 'CC-BY-SA-4.0', 'Gordon Leggett'),
    ('pika.webp', 'public domain', 'NPS Climate Change Response'),
    ('red_panda.webp', 'CC0-1.0', 'Mathias Appel'),
    ('rhinoceros.webp', 'CC-BY-SA-4.0', 'Charles J. Sharp'),
    ('spoonbills.webp', 'CC-BY-SA-4.0', 'Ryzhkov Sergey'),
    ('squirrel.webp', 'CC-BY-SA-4.0', 'Роман Наумов'),
    ('swans.webp', 'CC-BY-SA-4.0', 'Charles J. Sharp'),
    ('toucan.webp', 'CC-BY-SA-4.0', 'LG Nyqvist'),
)
EXPLORE_MONUMENTS = (
    ('egypt/bentPyramid.webp', 'public domain', 'Neithsabes'),
    ('egypt/greatPyramidOfGiza.webp', 'CC0-1.0', 'Gary Todd'),
    ('egypt/meidumPyramid.webp', 'public domain', 'Neithsabes'),
    ('egypt/redPyramid.webp', 'public domain', 'Chipdawes'),
    ('france/arlesAmphitheater.webp', 'public domain', '(WT-fr) OT Arles'),
    ('france/chateaudeChambord.webp', 'public domain', 'BjörnT'),
    ('france/chateaudeChenonceau.webp', 'public domain', 'Alf van Beem'),
    ('france/citedeCarcassonne.webp', 'public domain', 'Petitemontagnedujura'),
    ('france/eiffelTower.webp', 'public domain', 'Tognopop'),
    ('france/montStMichel.webp', 'CC0-1.0', 'Ali Sabbagh'),
    ('france/palaisdesPapes.webp', 'CC0-1.0', 'Tognopop'),
    ('france/pontduGard.webp', 'public domain', 'Mimova'),
    ('france/reimsCathedral.webp', 'public domain', 'Mattana'),
    ('france/rocamadour.webp', 'public domain', 'François Darras'),
    ('germany/berlinCathedral.webp', 'CC0-1.0', 'Gary Todd'),
    ('germany/brandenburgGate.webp', 'public domain', 'Evans1551'),
    ('germany/neuschwansteinCastle.webp', 'CC0-1.0', 'cameralends'),
    ('germany/schwerinPalace.webp', 'CC0-1.0', 'Hermann Luyken'),
    ('germany/trierImperialBaths.webp', 'public domain', 'Berthold Werner'),
    ('germany/wormsCathedral.webp', 'public domain', 'Immanuel Giel'),
    ('india/ajantaCave.webp', 'public domain', 'Jonathanawhite'),
    ('india/charminar.webp', 'public domain', 'Goutamkhandelwal'),
    ('india/gatewayofIndia.webp', 'CC0-1.0', 'Simon Steinberger'),
    ('india/goldenTemple.webp', 'CC0-1.0', 'Jasdeep Singh'),
    ('india/greatStupa.webp', 'public domain', 'ArnoldBetten'),
    ('india/hawaMahal.webp', 'public domain', 'Janwiki'),
    ('india/konarkSunTemple.webp', 'public domain', 'Tetraktys'),
    ('india/mysorePalace.webp', 'public domain', 'Shiva sg'),
    ('india/qutubMinar.webp', 'CC0-1.0', 'pramadas'),
    ('india/rangGhar.webp', 'public domain', 'Porikolpok Oxom'),
    ('india/victoriaMemorial.webp', 'CC0-1.0', 'Anourag'),
    ('usa/canyondeChelly.webp', 'public domain', 'Nikater'),
    ('usa/castillodeSanMarcos.webp', 'public domain', 'National Park Service'),
    ('usa/fortSumter.webp', 'CC0-1.0', 'Gary Todd'),
    ('usa/lincolnMemorial.webp', 'CC0-1.0', 'Brylie Christopher Oxley'),
    ('usa/mountRushmore.webp', 'CC0-1.0', 'Eekim'),
    ('usa/navajo.webp', 'public domain', 'Jon Sullivan'),
    ('usa/statueofLiberty.webp', 'public domain', '(WT-shared) Ypsilonatshared'),
    ('wonders/chichenItza.webp', 'CC-BY-SA-4.0', 'Daniel Schwen'),
    ('wonders/christTheRedeemer.webp', 'CC-BY-SA-4.0', 'Chensiyuan'),
    ('wonders/colosseum.webp', 'public domain', 'Urse Ovidiu'),
    ('wonders/greatWallofChina.webp', 'CC0-1.0', 'Nicolas Perrault III'),
    ('wonders/machuPicchu.webp', 'CC0-1.0', 'Guillaume Pascal'),
    ('wonders/petra.webp', 'public domain', 'Berthold Werner'),
    ('wonders/tajMahal.webp', 'CC-BY-SA-4.0', 'Yann'),
)
EXPLORE_WORLD_ANIMALS = (
    ('bison.webp', 'CC0-1.0', 'Kurt Kaiser'),
    ('chameleon.webp', 'public domain', 'Nilesh1104'),
    ('crocodile.webp', 'public domain', 'Djambalawa'),
    ('dragon.webp', 'public domain', 'TimVickers'),
    ('giraffe.webp', 'CC0-1.0', 'Mike and Lara Wolfe'),
    ('hedgehog.webp', 'public domain', 'George Chernilevsky'),
    ('jaguar.webp', 'CC0-1.0', 'Frieda Bredesen'),
    ('kangaroo.webp', 'public domain', 'Vicki Nunn'),
    ('koala.webp', 'public domain', 'BurningWell'),
    ('lemur.webp', 'CC0-1.0', 'Mathias Appel'),
    ('moose.webp', 'public domain', 'Ryan Hagerty'),
    ('narwhal.webp', 'public domain', 'Dr Kristin Laidre'),
    ('panda.webp', 'public domain', 'Jeff Kubina'),
    ('polar_bear.webp', 'public domain', 'anonymous'),
    ('scarlet_macaw.webp', 'CC0-1.0', 'Dcoetzee'),
)
EXPLORE_FARM_ANIMALS = (
    ('cat.webp', 'public domain', 'Loliloli'),
    ('chicken.webp', 'public domain', 'Tranquilles'),
    ('cow.webp', 'public domain', 'Dohduhdah'),
    ('dog.webp', 'public domain', 'Hans Kemperman'),
    ('duck.webp', 'CC0-1.0', 'Bernard Spragg'),
    ('horse.webp', 'CC0-1.0', 'Seth Zeigler'),
    ('owl.webp', 'CC0-1.0', 'Lepale'),
    ('pig.webp', 'public domain', 'Teinesavaii'),
    ('sheep.webp', 'CC0-1.0', 'Rob Mitchell'),
)

FILES = {"erase": ERASE, "explore_monuments": EXPLORE_MONUMENTS, "explore_world_animals": EXPLORE_WORLD_ANIMALS,
         "explore_farm_animals": EXPLORE_FARM_ANIMALS}
