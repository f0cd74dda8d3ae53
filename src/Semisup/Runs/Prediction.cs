using System.Globalization;
using System.Text;
using Semisup.Data;

namespace Semisup.Runs;

/// <summary>One image's answer: its name, the classes' probabilities, and whether it held any ink (a digit model's
/// input only; a photo is never blank).</summary>
/// <param name="Shifted">With test-time shifts, the probabilities averaged over the image and its four one-pixel shifts.</param>
public sealed record PredictedImage(string Name, float[] Probabilities, bool Blank, float[]? Shifted = null)
{
    public int Class => Array.IndexOf(Probabilities, Probabilities.Max());
    public int? ShiftedClass => Shifted is { } p ? Array.IndexOf(p, p.Max()) : null;
}

/// <summary>What predict does: images through a checkpoint, or an ensemble's averaged probabilities. A digit model's
/// images are prepared as MNIST was (<see cref="DigitImage"/>); a folder-trained model's are decoded as its training
/// images were (<see cref="ImageDecoder"/>, at its shape).</summary>
public static class Prediction
{
    /// <returns>The answers, the class names, and the files of a folder that could not be read, each with its reason.</returns>
    /// <param name="warn">Hears the checkpoints' warnings and the files a folder holds that are no images by name.</param>
    public static (IReadOnlyList<PredictedImage> Images, IReadOnlyList<string> Classes, IReadOnlyList<string> Failures) Predict(
        IReadOnlyList<string> checkpoints, string input, int limit, bool shifts = false, Action<string>? warn = null, bool raw = false)
    {
        ImageInputs.CheckLimit(limit);
        using var ensemble = new Ensemble(checkpoints, warn, raw);
        if (ImageInputs.IsIdx(input)) return (FromIdx(ensemble, input, limit, shifts), ensemble.Classes, []);
        var (files, warnings) = ImageInputs.Files(input);
        foreach (var w in warnings) warn?.Invoke($"warning: {w}");
        var answers = new List<PredictedImage>(files.Count);
        var failures = new List<string>();
        foreach (var chunk in files.Chunk(Ensemble.Batch))
        {
            var (read, failed) = ensemble.Digits ? Answer(ensemble, Decode(chunk, f => DigitImage.Load(f.Path, f.Name)), shifts)
                : Answer(ensemble, Decode(chunk, f => ImageDecoder.DecodeFile(f.Path, ensemble.Shape, f.Name)), shifts);
            answers.AddRange(read);
            failures.AddRange(failed);
        }
        // One file given is one answer asked for: its failure is the command's error.
        if (File.Exists(input) && failures.Count > 0) throw new SemisupException(failures[0]);
        return (answers, ensemble.Classes, failures);
    }

    static List<PredictedImage> FromIdx(Ensemble ensemble, string input, int limit, bool shifts)
    {
        var (c, h, w) = ensemble.Input;
        if (c != 1) throw new SemisupException($"{input}: an IDX file holds 1-channel images, and the model takes {c}×{h}×{w}; give image files.");
        var (names, pixels) = ImageInputs.ReadIdx(input, limit, h, w);
        return Answers(ensemble, names, pixels, shifts, i => DigitImage.IsBlank(pixels.AsSpan(i * h * w, h * w)));
    }

    /// <summary>The chunk's files decoded in parallel, in order: each file's pixels, or why it could not be read.</summary>
    static (ImageInput File, T[]? Pixels, string? Problem)[] Decode<T>(ImageInput[] chunk, Func<ImageInput, T[]> decode)
    {
        var decoded = new (ImageInput, T[]?, string?)[chunk.Length];
        Parallel.For(0, chunk.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var file = chunk[i];
            try { decoded[i] = file.Problem is { } p ? (file, null, p) : (file, decode(file), null); }
            catch (SemisupException e) { decoded[i] = (file, null, e.Message); }
        });
        return decoded;
    }

    static (List<PredictedImage>, List<string>) Answer(Ensemble ensemble, (ImageInput File, float[]? Pixels, string? Problem)[] decoded, bool shifts)
    {
        var read = decoded.Where(d => d.Pixels != null).ToList();
        var pixels = read.SelectMany(d => d.Pixels!).ToArray();
        return (Answers(ensemble, [.. read.Select(d => d.File.Name)], pixels, shifts, i => DigitImage.IsBlank(read[i].Pixels)), Problems(decoded));
    }

    static (List<PredictedImage>, List<string>) Answer(Ensemble ensemble, (ImageInput File, byte[]? Pixels, string? Problem)[] decoded, bool shifts)
    {
        var read = decoded.Where(d => d.Pixels != null).ToList();
        var pixels = read.SelectMany(d => d.Pixels!).ToArray();
        var probabilities = ensemble.Probabilities(pixels);
        var shifted = shifts ? ensemble.Probabilities(pixels, shifted: true) : null;
        return (Rows([.. read.Select(d => d.File.Name)], ensemble.Classes.Count, probabilities, shifted, _ => false), Problems(decoded));
    }

    static List<string> Problems<T>((ImageInput File, T[]? Pixels, string? Problem)[] decoded) => [.. decoded.Where(d => d.Problem != null).Select(d => d.Problem!)];

    static List<PredictedImage> Answers(Ensemble ensemble, List<string> names, float[] pixels, bool shifts, Func<int, bool> blank) =>
        Rows(names, ensemble.Classes.Count, ensemble.Probabilities(pixels), shifts ? ensemble.Probabilities(pixels, shifted: true) : null, blank);

    static List<PredictedImage> Rows(List<string> names, int classes, float[] probabilities, float[]? shifted, Func<int, bool> blank) =>
        [.. names.Select((name, i) => new PredictedImage(name, probabilities.AsSpan(i * classes, classes).ToArray(), blank(i), shifted?.AsSpan(i * classes, classes).ToArray()))];

    /// <summary>Writes the answers as CSV, one row per image: its path, the predicted class's name and probability, then
    /// every class's probability under its name. Written whole or not at all.</summary>
    public static void WriteCsv(string path, IReadOnlyList<PredictedImage> images, IReadOnlyList<string> classes)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', new[] { "path", "class", "probability" }.Concat(classes).Select(Field)).Append('\n');
        foreach (var image in images)
        {
            int k = image.Class;
            text.AppendJoin(',', new[] { Field(image.Name), Field(classes[k]), Number(image.Probabilities[k]) }.Concat(image.Probabilities.Select(Number))).Append('\n');
        }
        try { SafeFiles.WriteAtomically(path, temp => File.WriteAllText(temp, text.ToString(), new UTF8Encoding(false))); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"{path}: could not write the predictions ({e.Message}); give a writable file.", e);
        }
    }

    static string Number(float p) => p.ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.</summary>
    static string Field(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
}
