namespace Semisup.Data;

public static class ClassNames
{
    static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    static readonly string[] Fashion = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"];

    public static IReadOnlyList<string> Of(DatasetInfo ds) => ds.Name == Datasets.FashionMnist.Name ? Fashion : Digits;
}
