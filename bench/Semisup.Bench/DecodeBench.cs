// Times loading a folder of images as `semisup train --data` does (Data/ImageFolder.cs: scan, decode in parallel to
// 3×32×32 bytes, assemble), for bench/paired.py beside bench/decode_pil.py: "decode DIR" with the cache off (every
// file decoded), "cached DIR" through a cache of its own (the first such request, paired.py's untimed round, writes
// it; every later one must read it). bench/decode.sh makes the folders and runs both.
using System.Diagnostics;
using System.Globalization;
using Semisup.Data;

static class DecodeBench
{
    public static readonly ImageShape Shape = new(3, 32);

    public static void Serve(int threads)
    {
        var cacheDir = Path.Combine(Path.GetTempPath(), $"semisup-bench-cache-{Environment.ProcessId}");
        var cached = new HashSet<string>();
        try
        {
            Console.WriteLine("ready");
            while (Console.ReadLine() is { } line)
            {
                var request = line.Split(' ', 2);
                if (request.Length != 2 || request[0] is not ("decode" or "cached"))
                    throw new ArgumentException($"unknown request '{line}': decode DIR or cached DIR");
                string dir = request[1];
                bool useCache = request[0] == "cached";
                var options = new ImageLoadOptions { Shape = Shape, CacheDir = useCache ? cacheDir : null, Threads = threads };
                var clock = Stopwatch.StartNew();
                var set = ImageFolder.Load(dir, options);
                double seconds = clock.Elapsed.TotalSeconds;
                // The first cached load of a folder decodes and writes the cache; every later one must read it.
                if (useCache && !cached.Add(dir) && !set.FromCache) throw new InvalidOperationException($"{dir}: the second load did not come from the cache");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds:R} {set.Count}"));
            }
        }
        finally
        {
            if (Directory.Exists(cacheDir)) Directory.Delete(cacheDir, recursive: true);
        }
    }
}
