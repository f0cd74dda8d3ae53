using System.CommandLine;
using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Cli;

static class ModelCommands
{
    static readonly Option<string> CheckpointPath = new("--checkpoint", "-c") { Description = "A checkpoint file (best.ckpt or last.ckpt of a run, or one under models/).", Required = true };

    public static Command Evaluate()
    {
        var split = new Option<string>("--split") { Description = "validation or test.", DefaultValueFactory = _ => "test" };
        var cmd = new Command("evaluate", "Print a checkpoint's accuracy and loss on the validation or test set.") { CheckpointPath, split, DataCommands.DataDir };
        cmd.SetAction(async (parse, cancel) =>
        {
            var which = parse.GetValue(split);
            if (which is not ("validation" or "test")) throw new SemisupException($"--split {which}: give validation or test.");
            var path = parse.GetValue(CheckpointPath)!;
            var (model, header) = Checkpoint.Load(path);
            using var _ = model;
            var r = header.Recipe;
            var ds = Datasets.Get(r.Dataset);
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataCommands.DataDir)));
            var files = DatasetFiles.Read(await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel)), ds);
            ImageSet set;
            if (which == "test") set = ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");
            else
            {
                // The split is a pure function of (dataset, labels, seed, scheme), so the checkpoint's recipe recreates it.
                var s = Split.Create(ds.Name, files.TrainLabels.Data, r.Labels, r.Seed, r.Split);
                using var train = ImageSet.From(files.TrainImages, files.TrainLabels, $"{ds.Name} train");
                set = train.Subset(s.Validation);
            }
            using (set)
            {
                var e = Evaluator.Evaluate(model, set, r.EvalBatch);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{path}: {which} accuracy {100 * e.Accuracy:F2}% ({Math.Round((1 - e.Accuracy) * e.Count)} of {e.Count} wrong), loss {e.Loss:F4}  [{r.Name}, epoch {header.State.Epoch}]"));
                var classes = ClassNames.Of(ds);
                var mistakes = ConfusionMatrix.Mistakes(ConfusionMatrix.Count(set.Labels.data<long>().ToArray(), e.Predictions, classes.Count)).Take(5);
                Console.WriteLine($"most frequent mistakes (true as predicted): {string.Join(", ", mistakes.Select(m => $"{classes[m.True]} as {classes[m.Predicted]}: {m.Count}"))}");
            }
            return 0;
        });
        return cmd;
    }

    public static Command Predict()
    {
        var input = new Option<string>("--input", "-i") { Description = "A PNG file, a directory of PNGs, or an IDX image file.", Required = true };
        var limit = new Option<int>("--limit") { Description = "At most this many images from an IDX file.", DefaultValueFactory = _ => 20 };
        var cmd = new Command("predict", "Print the predicted class and probabilities for images.") { CheckpointPath, input, limit };
        cmd.SetAction(parse =>
        {
            var (model, header) = Checkpoint.Load(parse.GetValue(CheckpointPath)!);
            using var _ = model;
            var path = parse.GetValue(input)!;
            var (names, pixels) = ReadInputs(path, parse.GetValue(limit));
            using var scope = NewDisposeScope();
            model.eval();
            using var noGrad = no_grad();
            var probs = nn.functional.softmax(model.call(tensor(pixels).reshape(names.Count, 1, 28, 28)), 1).data<float>().ToArray();
            var classes = ClassNames.Of(Datasets.Get(header.Recipe.Dataset));
            for (int i = 0; i < names.Count; i++)
            {
                var p = probs.AsSpan(i * classes.Count, classes.Count).ToArray();
                int best = Array.IndexOf(p, p.Max());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{names[i]}: {classes[best]}  ({100 * p[best]:F1}%)  [{string.Join(" ", p.Select((v, k) => $"{classes[k]}:{v:F3}"))}]"));
            }
            return 0;
        });
        return cmd;
    }

    static (List<string> Names, float[] Pixels) ReadInputs(string path, int limit)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).Order().ToList();
            if (files.Count == 0) throw new SemisupException($"{path}: no .png files in this directory.");
            return (files, files.SelectMany(DigitImage.Load).ToArray());
        }
        if (!File.Exists(path)) throw new SemisupException($"{path}: no such file or directory.");
        using (var head = File.OpenRead(path))
        {
            var magic = new byte[4];
            head.ReadExactly(magic);
            bool png = magic is [0x89, (byte)'P', (byte)'N', (byte)'G'];
            if (!png && (magic[0] == 0 && magic[1] == 0 || magic[0] == 0x1f && magic[1] == 0x8b))
            {
                var idx = Idx.Read(path);
                if (idx.Shape is not [_, 28, 28]) throw new SemisupException($"{path}: expected N×28×28 images, got {string.Join("x", idx.Shape)}.");
                int n = Math.Min(idx.Count, Math.Max(1, limit));
                return (Enumerable.Range(0, n).Select(i => $"{Path.GetFileName(path)}[{i}]").ToList(),
                    idx.Data.Take(n * 784).Select(b => b / 255f).ToArray());
            }
        }
        return ([path], DigitImage.Load(path));
    }
}
