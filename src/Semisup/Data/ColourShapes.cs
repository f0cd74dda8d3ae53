namespace Semisup.Data;

/// <summary>How many images <see cref="ColourShapes.Write"/> makes of each part, and from which seed.</summary>
/// <param name="Labels">Labeled images, class-balanced: a multiple of 10.</param>
public sealed record ColourShapesOptions(int Labels = 1000, int Unlabeled = 20_000, int Validation = 2_000, int Test = 10_000, ulong Seed = 1)
{
    public void Validate()
    {
        Split.Check(Labels, Split.Random);
        if (Labels == Split.AllLabels) throw new SettingException(Setting.Labels, "all", "give a multiple of 10; the rest of the images are drawn as unlabeled.");
        if (Unlabeled < 0 || Validation < 10 || Test < 10)
            throw new SemisupException($"unlabeled {Unlabeled}, validation {Validation}, test {Test}: give 0 or more unlabeled images and at least 10 each for validation and test.");
    }
}

/// <summary>A colour image set nobody tuned on, made reproducibly from MNIST or Fashion-MNIST: every 28×28 shape is
/// painted in a random colour at a random place in a 32×32 RGB image, over a random background of two colours in one of
/// four textures (a gradient, stripes, a checkerboard, smooth blobs) with pixel noise. The shape's colour keeps a
/// distance of at least <see cref="MinContrast"/> from every blend of the background colours, so every image shows its shape.
/// Labeled, unlabeled and validation images come from the training file as the split of (labels, seed) picks them (the
/// first ones of its unlabeled and validation sets), test images from the test file in order. Each image's colours come
/// from a generator seeded by (seed, part, index), so a set is the same bytes whatever the thread count.</summary>
public static class ColourShapes
{
    public const int Side = 32;
    /// <summary>Euclidean distance in RGB (0–255 each) between the shape's colour and every blend of the two background colours.</summary>
    public const double MinContrast = 100;

    /// <summary>The set in the image-folder layout under <paramref name="outDir"/> (see <see cref="ImageExport"/>), class
    /// folders named by <paramref name="classNames"/>; writes <c>colour-shapes.json</c> with the options beside.</summary>
    public static ExportCounts Write(DatasetFiles files, string dataset, IReadOnlyList<string> classNames, ColourShapesOptions options, string outDir,
        int threads = 0, CancellationToken cancel = default)
    {
        options.Validate();
        var split = Split.Create(dataset, files.TrainLabels.Data, options.Labels, options.Seed);
        if (options.Unlabeled > split.Unlabeled.Length || options.Validation > split.Validation.Length || options.Test > files.TestImages.Count)
            throw new SemisupException($"{dataset} has {split.Unlabeled.Length:N0} unlabeled, {split.Validation.Length:N0} validation and {files.TestImages.Count:N0} test images to draw from at {options.Labels} labels; ask for no more.");
        var folders = ImageExport.FolderNames(classNames);
        var jobs = new List<(string Path, Func<byte[]> Encode)>();
        void Add(string folder, int part, IdxArray images, int index) =>
            jobs.Add(($"{folder}/{index:00000}.png", () => ImageExport.EncodePng(Render(images.Data.AsSpan(index * 784, 784), Mix(options.Seed, part, index)), Side, Side, 3)));
        foreach (var i in split.Labeled) Add($"{ImageListing.LabeledFolder}/{folders[files.TrainLabels.Data[i]]}", 0, files.TrainImages, i);
        foreach (var i in split.Unlabeled[..options.Unlabeled]) Add(ImageListing.UnlabeledFolder, 1, files.TrainImages, i);
        foreach (var i in split.Validation[..options.Validation]) Add($"{ImageListing.ValidationFolder}/{folders[files.TrainLabels.Data[i]]}", 2, files.TrainImages, i);
        for (int i = 0; i < options.Test; i++) Add($"{ImageListing.TestFolder}/{folders[files.TestLabels.Data[i]]}", 3, files.TestImages, i);
        ImageExport.WriteTree(outDir, jobs, staging => File.WriteAllText(Path.Combine(staging, "colour-shapes.json"),
            System.Text.Json.JsonSerializer.Serialize(new { dataset, options.Labels, options.Unlabeled, options.Validation, options.Test, options.Seed, Side })), threads, cancel);
        return new(split.Labeled.Length, options.Unlabeled, options.Validation, options.Test);
    }

    /// <summary>One image: the 28×28 shape (0 background … 255 ink) painted over a textured background, as 32×32
    /// interleaved RGB bytes, entirely decided by <paramref name="seed"/>.</summary>
    public static byte[] Render(ReadOnlySpan<byte> shape, ulong seed)
    {
        var rng = new SplitMix64(seed);
        double[] a, b, ink;
        int tries = 0;
        do (a, b, ink) = (rng.Colour(), rng.Colour(), rng.Colour());
        while (Distance(ink, a, b) < MinContrast && ++tries < 10_000);
        var texture = Texture(ref rng);
        int dx = (int)rng.Below(Side - 28 + 1), dy = (int)rng.Below(Side - 28 + 1);
        var rgb = new byte[Side * Side * 3];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                double t = texture(x, y);
                int sx = x - dx, sy = y - dy;
                double alpha = sx is >= 0 and < 28 && sy is >= 0 and < 28 ? shape[sy * 28 + sx] / 255.0 : 0;
                for (int c = 0; c < 3; c++)
                {
                    double background = a[c] * (1 - t) + b[c] * t + rng.Noise(16);
                    double painted = ink[c] + rng.Noise(8);
                    rgb[3 * (y * Side + x) + c] = (byte)Math.Clamp(Math.Round(background * (1 - alpha) + painted * alpha), 0, 255);
                }
            }
        return rgb;
    }

    /// <summary>A blend weight in [0, 1] per pixel: a gradient, stripes, a checkerboard or smooth blobs, at a random angle, scale and phase.</summary>
    static Func<int, int, double> Texture(ref SplitMix64 rng)
    {
        double angle = rng.Unit() * Math.PI, cos = Math.Cos(angle), sin = Math.Sin(angle);
        switch (rng.Below(4))
        {
            case 0:
                return (x, y) => Math.Clamp(0.5 + ((x - Side / 2.0) * cos + (y - Side / 2.0) * sin) / Side, 0, 1);
            case 1:
                double frequency = 1 + 3 * rng.Unit(), phase = 2 * Math.PI * rng.Unit();
                return (x, y) => 0.5 + 0.5 * Math.Sin(2 * Math.PI * frequency * (x * cos + y * sin) / Side + phase);
            case 2:
                int cell = 3 + (int)rng.Below(6), ox = (int)rng.Below((ulong)cell), oy = (int)rng.Below((ulong)cell);
                return (x, y) => ((x + ox) / cell + (y + oy) / cell) % 2;
            default:
                const int grid = 5;
                var knots = new double[grid * grid];
                for (int i = 0; i < knots.Length; i++) knots[i] = rng.Unit();
                return (x, y) =>
                {
                    double gx = x * (grid - 1.0) / (Side - 1), gy = y * (grid - 1.0) / (Side - 1);
                    int x0 = Math.Min((int)gx, grid - 2), y0 = Math.Min((int)gy, grid - 2);
                    double fx = gx - x0, fy = gy - y0;
                    double top = knots[y0 * grid + x0] * (1 - fx) + knots[y0 * grid + x0 + 1] * fx;
                    double bottom = knots[(y0 + 1) * grid + x0] * (1 - fx) + knots[(y0 + 1) * grid + x0 + 1] * fx;
                    return top * (1 - fy) + bottom * fy;
                };
        }
    }

    /// <summary>The distance from <paramref name="p"/> to the nearest colour between <paramref name="a"/> and <paramref name="b"/>.</summary>
    static double Distance(double[] p, double[] a, double[] b)
    {
        double along = 0, length = 0;
        for (int c = 0; c < 3; c++) { along += (p[c] - a[c]) * (b[c] - a[c]); length += (b[c] - a[c]) * (b[c] - a[c]); }
        double t = length == 0 ? 0 : Math.Clamp(along / length, 0, 1);
        return Math.Sqrt(Enumerable.Range(0, 3).Sum(c => Math.Pow(p[c] - (a[c] + t * (b[c] - a[c])), 2)));
    }

    static ulong Mix(ulong seed, int part, int index) => new SplitMix64(seed ^ ((ulong)part << 32) ^ (ulong)index * 0x9E3779B97F4A7C15).Next();

    /// <summary>SplitMix64, spelled out because System.Random's seeded sequence is not promised across .NET versions.</summary>
    struct SplitMix64(ulong state)
    {
        public ulong Next()
        {
            state += 0x9E3779B97F4A7C15;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }

        public double Unit() => (Next() >> 11) * (1.0 / (1UL << 53));
        public ulong Below(ulong n) => Next() % n;
        public double Noise(double amplitude) => (2 * Unit() - 1) * amplitude;
        public double[] Colour() => [255 * Unit(), 255 * Unit(), 255 * Unit()];
    }
}
